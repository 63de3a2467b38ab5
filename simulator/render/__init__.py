"""Drawing the simulator with pygame: the frame, the map, the panel, the drone sprite and the theme."""

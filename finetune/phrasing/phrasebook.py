"""The phrasebook: templates for asking each catalogue call, in `finetune.phrasing.grammar` syntax.

Part one (here): takeoff, landing, home location, movement, speed, camera, gimbal; part two,
`finetune.phrasing.settings`: lights, return home, on/off modes, calibration, LED display.

Templates mix imperatives, questions and statements of intent, polite and curt registers, slang
and word order. Upper-case slots (`{DRONE}`, `{CAN}`) are macros expanded into the template
before it is parsed; lower-case slots are filled per call by `finetune.phrasing.rendering`.
"""

from __future__ import annotations

from finetune.phrasing.settings import LED, LIGHTS

VOCATIVES = ["hey, ", "ok, ", "drone, ", "copilot, ", "hey drone, ", "so ", "um, ", "yo, "]
DRONE = "(the drone|it|her|the quad|the quadcopter|the UAV|the aircraft|the bird)"
CAN = "(can|could|would|will) you"
WANT = "(I want|I'd like|I need|I would like|we need|we want)"


# --------------------------------------------------------------------------- takeoff

TAKEOFF = [
    "{pre}(take off|takeoff|take-off|lift off|launch|launch the drone|get airborne|go airborne) (to|at) {alt}{post}",
    "{pre}(take off|launch|lift off) and (climb|rise|ascend|go up|hover|hold) (to|at) {alt}{post}",
    "{pre}(take off|launch|lift off) to an (altitude|height) of {alt}{post}",
    "{pre}(take off|launch)[,] (altitude|height|target altitude|target height) {alt}",
    "{hey}{CAN} (take off|launch|lift off|get airborne|take off and climb) to {alt}?",
    "{hey}{CAN} get {DRONE} (airborne|in the air|up in the air) at {alt}?",
    "{pre}(get|send|put) {DRONE} (airborne|up|in the air|into the air|up in the air) (at|to) {alt}{post}",
    "{WANT} (the drone|it|you) to (take off|launch|lift off) (to|at) {alt}",
    "{WANT} to (take off|launch) (to|at) {alt}",
    "(let's|time to|ready to|we're ready to) (take off|launch|get airborne|lift off)[,] {alt} (altitude|high|up)",
    "(launch|takeoff|take off|liftoff) {alt}",
    "{alt} (altitude|high|up)[,] (take off|launch|go)",
    "(take off|launch|lift off) (to|at) {alt} (altitude|height|above ground|AGL)",
    "{pre}(start|begin|initiate) [the ](takeoff|takeoff sequence|launch) (to|at) {alt}",
    "wheels up, {alt}",
    "(get|send) this bird up to {alt}",
    "send (her|it) up to {alt}[ after takeoff]",
    "(up we go|up up and away)[,] (to|take off to) {alt}",
    "(take off|launch)[ the drone] and hold [at ]{alt}",
    "target altitude {alt}, (take off|launch|go)",
    "(take off|launch), (hover|stop|level off) at {alt}",
    "{CAN} launch (the drone|it|the quad) to {alt} (please|for me)?",
    "(please |)(take off|lift off) now[,] (to|at) {alt}",
    "(ready for|go for|clear for|cleared for) takeoff[,] {alt}",
    "(takeoff|take off|launch) to {alt}, (then hold|and hover|and wait)",
    "(what I need is|I need|give me|let's have|requesting|request) a (takeoff|launch|climb-out) to {alt}",
    "(launch|take off|liftoff)! (target|hold|climb to)[ altitude][:] {alt}",
]

# --------------------------------------------------------------------------- landing

LAND_CURRENT = [
    "{pre}(land|land now|land here|land right here|land immediately|touch down|set down){post}",
    "{pre}(land|touch down) (here|right here|where you are|on the spot|in place|right where you are){post}",
    "{pre}(set|put) {DRONE} down (here|now|right here|where it is|in place){post}",
    "{hey}{CAN} land (here|now|right here|where you are|immediately)?",
    "bring {DRONE} down (here|now|right here|where (it|she) is|in place)",
    "{pre}(land|touch down) at (the|your|its) current (location|position|spot){post}",
    "{pre}land {DRONE}[ now]{post}",
    "{WANT} (you|the drone|it) to land (here|right now|in place|where it is)",
    "(descend and land|come down and land|drop down and land) (here|where you are|right here)",
    "(emergency|quick|immediate) landing[,] (here|now|right here)",
    "(land|touch down)[,] current (location|position)",
    "(time to|let's) land (here|now)",
    "[just ]land[ it| the drone][ already]",
    "(put her down|set her down|bring her down)[ here| now| right here]",
    "land (at|on) (this|the current) spot",
    "{CAN} (put|set) (it|her|the drone) down (here|now)?",
    "stop flying and land (here|now|where you are)",
]

LAND_HOME = [
    "{pre}land (at|on) [the ](home base|home pad|base|launch pad|landing pad|home point|home location){post}",
    "{hey}{CAN} land (at|on) the (home base|home pad|base|launch pad)?",
    "bring {DRONE} down (at|on) the (home pad|base|home base|launch pad)",
    "{WANT} (it|the drone|you) to land (at|on) [the ](home base|base|home pad)",
    "(touch down|set down) (at|on) [the ](home base|home pad|launch pad)",
    "(home base|home pad) landing[ please| now]",
    "(set|put) (it|her) down on the (home pad|home base|launch pad)",
    "land [back ]at (home base|base|the pad)",
    "(land|touchdown) location: home base",
    "(descend|come down) and land (at|on) the (home base|home pad)",
    "I'd like a landing at the home (base|pad)",
    "(let's|time to) land at [the ](home base|base|home pad)",
]

LAND_CUSTOM = [
    "{pre}land (at|on) {coords}{post}",
    "{pre}land (at|on) (coordinates|the coordinates|gps|gps position|position|location|point) {coords}{post}",
    "{hey}{CAN} land (at|on) {coords}?",
    "{pre}(touch down|set down|put down) at {coords}",
    "{WANT} to land at {coords}",
    "bring {DRONE} down at {coords}",
    "custom landing (at|:) {coords}",
    "land at these coordinates: {coords}",
    "(landing|land) (spot|site|point|zone)[:] {coords}",
    "{coords}[,] land there",
    "go land at {coords}",
    "{CAN} put (it|her|the drone) down at {coords}?",
    "(set|plan) a landing at {coords}",
]

# --------------------------------------------------------------------------- home location

HOME = [
    "{pre}set [the ]home (location|point|position|base) (to|at|as) {coords}{post}",
    "{pre}(use|set|save) {coords} as [the |my ][new ]home (point|location|base)",
    "{pre}make {coords} (the|my) [new ]home (point|location|base)",
    "{pre}(update|change|move|reset) [the ]home (location|point|position) to {coords}",
    "new home (point|location|position|base)[:] {coords}",
    "{hey}{CAN} set [the ]home (location|point) to {coords}?",
    "{WANT} [the ]home (location|point) [to be |set to |at ]{coords}",
    "(save|store|register|mark) {coords} as [the |my ]home[ location| point]",
    "(home|home location|home point)[:] {coords}",
    "set the return-to-home point to {coords}",
    "(change|update) home to {coords}",
    "{coords} (is|should be|will be) [the ][new ]home (location|point)",
    "(please |)(record|set) home coordinates {coords}",
    "(my|the|our) new home (point|location|base) is (at |)({coords})",
    "(home point|home location|home base) (should be|is now|goes) at {coords}",
]

# --------------------------------------------------------------------------- movement

DIR_WORDS = {
    "forward": ["forward", "forward", "forwards", "ahead", "straight ahead", "to the front"],
    "backward": ["backward", "backward", "backwards", "back", "in reverse"],
    "left": ["left", "left", "to the left", "leftward", "sideways to the left"],
    "right": ["right", "right", "to the right", "rightward", "sideways to the right"],
    "up": ["up", "up", "upward", "upwards", "higher", "vertically up"],
    "down": ["down", "down", "downward", "downwards", "lower"],
}
DIR_VERBS = {
    "forward": [
        "advance",
        "push forward",
        "scoot forward",
        "inch forward",
        "fly forward",
        "go straight",
    ],
    "backward": ["back up", "reverse", "back off", "retreat", "fall back", "pull back"],
    "left": ["strafe left", "slide left", "shift left", "drift left", "sidestep left", "veer left"],
    "right": [
        "strafe right",
        "slide right",
        "shift right",
        "drift right",
        "sidestep right",
        "veer right",
    ],
    "up": ["climb", "ascend", "rise", "go higher by", "gain", "climb up", "increase altitude by"],
    "down": ["descend", "drop", "sink", "go lower by", "drop down", "lose", "decrease altitude by"],
}
MOVE = [
    "{pre}(move|go|fly|head|travel|shift) {dir} {dist}{post}",
    "{pre}(move|go|fly|travel) {dist} {dir}{post}",
    "{pre}(move|fly|take) {DRONE} {dir} [by |for ]{dist}{post}",
    "{hey}{CAN} (move|fly|go) {dir} {dist}?",
    "{hey}{CAN} (move|fly|go) {dist} {dir}?",
    "{WANT} (you|the drone|it) to (move|fly|go) {dir} {dist}",
    "{WANT} to (go|move|fly) {dist} {dir}",
    "{dircap} {dist}",
    "{dist} {dir}[, please| now| go]",
    "{pre}{verb} {dist}{post}",
    "{verb} {dist}[ please| now]",
    "{hey}{CAN} {verb} {dist}?",
    "(let's|time to) (move|go|head|fly) {dir} {dist}",
    "take (it|her|the drone) {dist} {dir}",
    "(bring|nudge|move) (it|her|the drone) {dir} [by ]{dist}",
    "(move|go) {dir} by {dist}",
    "(go|fly|move) {dir} (a distance of|exactly|about) {dist}",
    "{dir} {dist}[, then stop| and hold]",
    "direction {dir}, distance {dist}",
    "(reposition|relocate) {dist} {dir}",
]

# --------------------------------------------------------------------------- speed

SPEED = [
    "{pre}(set|change|adjust|put) [the ]speed to {spd}{post}",
    "{pre}(set|change|adjust) [the ](flight|cruise|cruising|flying|air|travel) speed (to|at) {spd}{post}",
    "{pre}(fly|go|cruise|move|travel) at {spd}{post}",
    "speed[:] {spd}",
    "{pre}(increase|raise|bump|boost|up) [the ]speed to {spd}{post}",
    "{pre}(reduce|lower|drop|decrease|cut) [the ]speed to {spd}{post}",
    "{pre}(slow down|slow it down|slow her down|ease off) to {spd}{post}",
    "{pre}(speed up|pick up the pace|go faster|accelerate) to {spd}{post}",
    "{hey}{CAN} (go|fly|cruise) at {spd}?",
    "{hey}{CAN} set (the|your) speed to {spd}?",
    "{WANT} (to fly at|a speed of|the drone going|it at|to go) {spd}",
    "make (it|the drone|her) (fly|go|move) {spd}",
    "(hold|keep|maintain) (a speed of |a steady |)({spd})",
    "{spd}[,] (please|that's the speed|speed)",
    "(velocity|speed) (to|at|=) {spd}",
    "(let's|time to) (go|fly|cruise) at {spd}",
    "(change|switch) to {spd}",
    "set speed {spd}",
    "(adjust|change) (your|its) speed to {spd}",
    "(fly|go) no faster than {spd}",
    "(set|change|adjust) [the ]velocity [to ]{spd}",
    "(max|top|maximum|cruise) speed[ please][:] {spd}",
    "(bring|take|get) the speed (down|up) to {spd}",
]

# --------------------------------------------------------------------------- camera

PHOTO = [
    "{pre}(take|snap|shoot|grab|capture) a (photo|picture|pic|snapshot|shot|still|photograph|quick photo){post}",
    "{hey}{CAN} (take|snap|grab) a (photo|picture|pic|snapshot|photograph)?",
    "{pre}(capture|take) (an image|a still image|a still frame){post}",
    "(photo|picture|snapshot)[,] (please|now)",
    "say cheese",
    "(click|shoot) a (photo|picture)",
    "{WANT} a (picture|photo|snapshot)[ of (this|that|the view|the scene)]",
    "(switch|set) the camera to photo[ mode]",
    "photo mode[, single shot|, just a still]",
    "camera[:] (photo|take a photo|picture)",
    "get a (shot|picture|photo) of (this|that|the view|the landscape|the area)",
    "(take|snap) [a |a quick ](pic|photo|picture) (of this|real quick|for me)",
    "(let's|time to) (take|get) a (photo|picture)",
    "(smile|cheese)! (take|snap) a (picture|photo)",
    "{CAN} (photograph|shoot) (this|the view|the scene)?",
    "(capture|take) a photo of (what you see|the view|this spot)",
    "(grab|get) me a (photo|still)",
]
PANORAMA = [
    "{pre}(take|shoot|capture|grab|make) a (panorama|panoramic (photo|shot|image|picture)|pano){post}",
    "{hey}{CAN} (take|do|get|shoot) a (panorama|panoramic shot|pano)?",
    "(switch|set) [the ]camera to panorama[ mode]",
    "panorama [mode|shot][,] (please|now)",
    "{WANT} a (panorama|panoramic (view|photo|shot))[ of (this|the area|the landscape)]",
    "(camera|mode)[:] panorama",
    "(capture|get) a [wide |full ]panoramic (view|photo|image)",
    "(pano|panorama) time",
    "(let's|time to) (take|shoot|do) a panorama",
    "(sweep|pan) the camera for a panorama",
    "(shoot|capture) a panorama of (the area|the landscape|the skyline|this view)",
    "(shoot|take|grab|do) a 360[°| degree] (pano|panorama|shot|photo)",
    "(360|360-degree|full circle|wide-angle) (pano|panorama|panoramic)[ please| now]",
]
VIDEO = [
    "{pre}(record|film|shoot|capture|take) [a ]video for {dur}{post}",
    "{pre}(start|begin) (recording|filming|a video|video recording) for {dur}{post}",
    "{pre}record {dur} of (video|footage){post}",
    "{hey}{CAN} (film|record|shoot video) for {dur}?",
    "{hey}{CAN} record a video for {dur}?",
    "video[,] {dur}",
    "(video mode|camera video)[,] {dur}",
    "{WANT} {durlong} (video|clip|recording)",
    "(record|shoot|film) {durlong} (video|clip)",
    "(roll|start rolling) [the ]camera for {dur}",
    "(film|record) (this|that|the view|the scene) for {dur}",
    "(record|capture) (a clip|footage|video) (for|of) {dur}",
    "(let's|time to) (record|film|shoot) [a video ]for {dur}",
    "(switch|set) the camera to video (for|and record) {dur}",
    "record for {dur}",
    "{dur} of video[,] (please|go|now)",
    "(get|grab) {dur} of footage",
    "film for {dur}",
    "{pre}(record|shoot|film|take) {durplain} (video|clip)",
    "(shoot|record|take) a video lasting {dur}",
    "(capture|record) video (for|lasting) {dur}[ then stop]",
]

# --------------------------------------------------------------------------- gimbal

GIMBAL_EXPLICIT = [
    "{pre}(set|adjust|move|put) [the ]gimbal [to ]tilt {tiltn}(,| and) pan {pann}{post}",
    "{pre}(set|adjust|move|put) [the ]gimbal [to ]pan {pann}(,| and) tilt {tiltn}{post}",
    "gimbal[:] tilt {tiltn}, pan {pann}",
    "{hey}{CAN} set the gimbal to tilt {tiltn} and pan {pann}?",
    "(tilt|gimbal tilt) {tiltn}(,| and| with) (pan|gimbal pan) {pann}",
    "(set|put) [the ]camera (angle|gimbal) to tilt {tiltn}, pan {pann}",
    "{WANT} the gimbal at tilt {tiltn} and pan {pann}",
    "(adjust|set) [the ]gimbal: pan {pann}, tilt {tiltn}",
    "{pre}(set|move|put) [the ]gimbal tilt to {tiltn} and pan to {pann}{post}",
    "{pre}(set|change) [the ]camera tilt to {tiltn} and [the ]pan to {pann}",
    "tilt to {tiltn}, pan to {pann}",
    "(set|put) [the ](gimbal|camera) (to|at) {tiltn} tilt and {pann} pan",
]
GIMBAL_WORDS = [
    "{pre}tilt [the ](camera|gimbal) {tiltw} and pan [it ]{panw}{post}",
    "{pre}pan [the ](camera|gimbal) {panw} and tilt [it ]{tiltw}{post}",
    "{pre}(point|aim|angle|turn) the (camera|gimbal) {tiltw} and {panw}{post}",
    "{hey}{CAN} tilt the (camera|gimbal) {tiltw} and pan {panw}?",
    "{WANT} the camera (tilted|pointing|angled) {tiltw} and (panned|turned) {panw}",
    "(tilt|angle) {tiltw}, (pan|turn) {panw}",
    "(gimbal|camera)[:] {tiltw}, {panw}",
    "(look|point the camera) {tiltw} and {panw}",
    "(adjust|move) the gimbal {tiltw}[,] {panw}",
]
GIMBAL_RESET = [  # tilt 0, pan 0
    "{pre}(reset|centre|center|zero) the (gimbal|camera)[ please]{post}",
    "{pre}(reset|set|put) the (gimbal|camera) to zero tilt and zero pan{post}",
    "{pre}level the (gimbal|camera) and (face|point) it (straight ahead|forward){post}",
    "(point|aim) the (camera|gimbal) straight ahead[, level]",
    "(gimbal|camera) (home|neutral|to neutral|back to neutral)",
]

COMMON: dict[str, str] = {"DRONE": DRONE, "CAN": CAN, "WANT": WANT, "LIGHTS": LIGHTS, "LED": LED}

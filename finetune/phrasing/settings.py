"""The phrasebook, part two: lights, return home, the on/off modes, calibration, LED display.

Same grammar and macros as `finetune.phrasing.phrasebook` (flight, camera and gimbal).
"""

from __future__ import annotations

# --------------------------------------------------------------------------- toggles and modes

LIGHTS = "(lights|light|drone lights|navigation lights|nav lights|headlights|lamps|landing lights|onboard lights|lighting)"
LIGHTING = {
    "on": [
        "{pre}(turn|switch) on the {LIGHTS}{post}",
        "{pre}(turn|switch) the {LIGHTS} on{post}",
        "{LIGHTS} on[ please| now]",
        "{pre}(enable|activate) [the ]{LIGHTS}{post}",
        "{hey}{CAN} (turn|switch) (on the lights|the lights on)?",
        "light (it|her|things) up",
        "{WANT} [the ]lights on",
        "(it's|it is) (dark|getting dark), (turn on the lights|lights on)",
        "set [the ]lighting[ mode] to on",
        "(lights|lighting)[:] on",
    ],
    "off": [
        "{pre}(turn|switch) off the {LIGHTS}{post}",
        "{pre}(turn|switch) the {LIGHTS} off{post}",
        "{LIGHTS} off[ please| now]",
        "{pre}(disable|deactivate|kill|cut) [the ]{LIGHTS}{post}",
        "{hey}{CAN} (turn|switch) (off the lights|the lights off)?",
        "lights out",
        "{WANT} [the ]lights off",
        "set [the ]lighting[ mode] to off",
        "no [more ]lights[ please]",
        "(lights|lighting)[:] off",
    ],
    "blink": [
        "{pre}(make|set) the {LIGHTS} [to ](blink|flash|blinking|flashing){post}",
        "{pre}(blink|flash) the {LIGHTS}{post}",
        "{LIGHTS} [on |to ](blink|flashing|blinking)",
        "{pre}(set|switch) [the ]lighting[ mode] to (blink|blinking)",
        "{hey}{CAN} (make the lights blink|blink the lights|flash the lights)?",
        "(blinking|flashing) lights[ please| now]",
        "{WANT} the lights (blinking|to blink|flashing)",
        "(lights|lighting)[:] blink",
    ],
    "sos": [
        "{pre}(set|switch) [the ](lights|lighting|light mode) to (sos|SOS){post}",
        "(sos|SOS) (lights|signal|mode|light pattern|lighting)[ please| now]",
        "{pre}(flash|signal|blink|send) [an ](SOS|sos)[ signal| pattern](| with the lights| on the lights){post}",
        "{hey}{CAN} (flash|signal) [an ]SOS[ with the lights]?",
        "(start|send|broadcast) an (SOS|sos) [light ]signal",
        "(lights|lighting)[:] (SOS|sos)",
        "(distress|emergency) (signal|lights)[,] SOS",
        "{WANT} the lights (on|in|doing) SOS",
        "(signal|call|flash) for help with the {LIGHTS}",
        "(use|flash) the {LIGHTS} to (signal distress|call for help|ask for help)",
    ],
}

RTH = [
    "{pre}(return to home|return home|go home|come home|fly home|head home|return to base|go back home|come back home|head back home){post}",
    "{pre}(return|come back|fly back|head back|go back) to (home|base|the home point|the launch point|launch|where you started|the start){post}",
    "(RTH|rth|return-to-home|return to launch|RTL)[ now| please]",
    "{hey}{CAN} (come|fly|go|head) [back ]home?",
    "{hey}{CAN} return to (home|base)?",
    "{pre}(bring|fly|take) {DRONE} [back ]home{post}",
    "{pre}(start|initiate|trigger|activate|begin) (return to home|return-to-home|RTH|the return home)",
    "(time to|let's) (come|go|head|fly) [back ]home",
    "{WANT} (it|the drone) back home",
    "(abort|stop)(,| and) (return|come|go) home",
    "come back[ now| here| home]",
    "(head|go) back to (base|home)[ now]",
    "(return|come back) (to the|to your) (home point|takeoff point|launch spot)",
    "(go|come|fly|head) back to where (you|we) (took off|started|launched)[ from]",
    "(return|RTH|go home)[,] (right now|immediately|asap)",
]

TOGGLE = {
    "set_battery_saver_mode": {
        "on": [
            "{pre}(turn|switch) on [the ](battery saver|battery saving|power saving|power saver)[ mode]{post}",
            "{pre}(enable|activate|engage|start) [the ](battery saver|battery saving mode|power saving mode|power saver|eco mode|low power mode|battery-saver mode){post}",
            "{pre}(save|conserve|preserve|spare) [the ](battery|power){post}",
            "(battery saver|power saver|eco mode|battery saving)[:] on",
            "{hey}{CAN} (save battery|turn on battery saver|enable battery saver|conserve power)?",
            "{WANT} to (save|conserve) [the ]battery",
            "(put|switch) (it|the drone) (in|into|to) (eco|power saving|low power|battery saver) mode",
            "(go easy on|be gentle with) the battery",
            "(battery's|battery is) (low|getting low)[,] (turn on|enable) (battery saver|power saving)",
            "(make|let) the battery last longer",
        ],
        "off": [
            "{pre}(turn|switch) off [the ](battery saver|battery saving|power saving|power saver)[ mode]{post}",
            "{pre}(disable|deactivate|exit|leave|stop|end) [the ](battery saver|battery saving|power saving|eco mode|low power mode|power saver)[ mode]{post}",
            "(battery saver|power saver|eco mode|battery saving)[:] off",
            "{hey}{CAN} (turn off|disable) [the ](battery saver|power saving)?",
            "(no more|stop the|stop) (battery saving|power saving|eco mode)",
            "{WANT} (battery saver|power saving) off",
            "(get|take) (it|the drone) out of (eco|power saving|battery saver|low power) mode",
        ],
    },
    "set_obstacle_avoidance": {
        "on": [
            "{pre}(turn|switch) on [the ](obstacle avoidance|collision avoidance|obstacle detection|anti-collision)[ system| mode]{post}",
            "{pre}(enable|activate|engage) [the ](obstacle avoidance|collision avoidance|obstacle detection|obstacle sensing|anti-collision|collision prevention){post}",
            "{pre}(avoid|dodge|steer clear of|watch out for|look out for) obstacles{post}",
            "(don't|do not|try not to) (hit|crash into|bump into|run into) anything",
            "(obstacle avoidance|collision avoidance)[:] on",
            "{hey}{CAN} (avoid|dodge|steer around|watch for) obstacles?",
            "{WANT} (obstacle avoidance|collision avoidance) (on|enabled|active)",
            "(make sure|be sure) (to avoid|you avoid|you don't hit) obstacles",
            "(keep|stay) clear of obstacles",
        ],
        "off": [
            "{pre}(turn|switch) off [the ](obstacle avoidance|collision avoidance|obstacle detection|anti-collision)[ system| mode]{post}",
            "{pre}(disable|deactivate|disengage) [the ](obstacle avoidance|collision avoidance|obstacle detection|obstacle sensing|anti-collision){post}",
            "(obstacle avoidance|collision avoidance)[:] off",
            "{hey}{CAN} (turn off|disable) [the ](obstacle avoidance|collision avoidance)?",
            "(stop|quit) avoiding obstacles",
            "no [more ](obstacle avoidance|collision avoidance)",
            "{WANT} (obstacle avoidance|collision avoidance) (off|disabled)",
            "(disable|turn off) the (obstacle|collision) sensors",
        ],
    },
    "set_follow_me_mode": {
        "on": [
            "{pre}(follow me|track me|follow me around|keep following me|stay with me|tail me){post}",
            "{pre}(turn|switch) on [the ](follow me|follow-me)[ mode]{post}",
            "{pre}(enable|activate|start|engage) [the ](follow me|follow-me)[ mode]{post}",
            "(follow me|follow-me)[ mode][:] on",
            "{hey}{CAN} (follow|track) me?",
            "{hey}{CAN} (follow me around|keep up with me|stay with me)?",
            "{WANT} (you|the drone|it) to (follow|track) me",
            "(come with me|stick with me|keep up with me)",
            "(I'm|I am) (walking|going|heading) (off|away|over there), follow me",
            "(put|switch) (it|the drone) (in|into|to) follow me mode",
            "(track|follow|film|watch) me (as|while) I (walk|jog|run|cycle|ski|hike)",
            "(stay|keep up|stick) with me (while|as) I (walk|jog|run|cycle|move)",
        ],
        "off": [
            "{pre}(stop following me|stop following|quit following me|stop tracking me){post}",
            "{pre}(turn|switch) off [the ](follow me|follow-me)[ mode]{post}",
            "{pre}(disable|deactivate|end|cancel|exit) [the ](follow me|follow-me)[ mode]{post}",
            "(follow me|follow-me)[ mode][:] off",
            "{hey}{CAN} (stop following me|stop tracking me)?",
            "(don't|do not) follow me (anymore|any more)",
            "no [more ](following|follow me)",
            "{WANT} (you|the drone|it) to stop following me",
            "(leave me|you can stop following)[,] (I'm done|that's enough|thanks)",
        ],
    },
    "set_autopilot": {
        "on": [
            "{pre}(turn|switch) on [the ]autopilot{post}",
            "{pre}(enable|engage|activate|start) [the ]autopilot{post}",
            "(autopilot|auto pilot|auto-pilot)[:] on",
            "{hey}{CAN} (engage|enable|turn on) [the ]autopilot?",
            "(let|have) (it|the drone) fly itself",
            "(go|switch) (to|into) (autopilot|auto-pilot|autonomous) mode",
            "{WANT} [the ]autopilot (on|engaged)",
            "(fly|continue) on autopilot",
            "(put|set) (it|the drone) on autopilot",
            "(hands off|I'm letting go)[,] autopilot on",
            "(switch|go|change) to (automatic|autonomous|auto) (flight|flying)[ mode]",
            "(fly|let it fly) (automatically|autonomously|on its own)",
        ],
        "off": [
            "{pre}(turn|switch) off [the ]autopilot{post}",
            "{pre}(disable|disengage|deactivate|kill|cancel) [the ]autopilot{post}",
            "(autopilot|auto pilot|auto-pilot)[:] off",
            "{hey}{CAN} (disengage|disable|turn off) [the ]autopilot?",
            "(I'll|I will|let me) (take over|fly manually|take manual control|take the controls)",
            "(switch|go) (to|back to) manual (control|mode|flight|flying)",
            "{WANT} (to fly manually|manual control|the autopilot off)",
            "(take|get) (it|the drone) off autopilot",
            "no [more ]autopilot",
        ],
    },
}

CALIBRATE = [
    "{pre}calibrate [the ](sensors|compass|IMU|imu|gyro|gyroscope|accelerometer|instruments){post}",
    "{pre}(run|do|perform|start|begin|initiate) [a |the ][sensor ]calibration[ sequence| routine| check]{post}",
    "{pre}recalibrate[ the sensors| everything| the compass| yourself]{post}",
    "{hey}{CAN} calibrate (your|the) (sensors|compass|IMU)?",
    "{hey}{CAN} (run|do) a [sensor ]calibration?",
    "((the readings|the sensors|readings) (look|seem|are)|(the compass|the altimeter|the IMU) (looks|seems|is)) (off|wrong|weird)[,] (recalibrate|calibrate the sensors)",
    "(sensors|the sensors) need (calibrating|calibration|recalibrating)",
    "{WANT} [the ]sensors (calibrated|recalibrated)",
    "(time for|let's do) [a ][sensor ]calibration",
    "(calibration|sensor calibration)[,] (please|now|go)",
    "(calibrate|recalibrate) (all|every) sensors",
    "(reset and calibrate|check and calibrate) the sensors",
]

# --------------------------------------------------------------------------- LED display

LED = "(LED|LEDs|led|leds|LED display|led display|LED ring|LED panel|LED lights|LED strip|display LEDs)"
PATTERN_ADJ = {
    "solid": ["solid", "solid", "steady", "constant", "static", "steady solid"],
    "blink": ["blinking", "blinking", "flashing", "blink"],
    "pulse": ["pulsing", "pulsing", "pulse", "breathing", "pulsating"],
}
PATTERN_VERB = {
    "solid": ["stay solid", "glow steady", "shine solid", "stay steady"],
    "blink": ["blink", "blink", "flash"],
    "pulse": ["pulse", "pulse", "breathe", "pulsate"],
}
PATTERN_NOUN = {"solid": ["solid"], "blink": ["blink", "blinking"], "pulse": ["pulse", "pulsing"]}
LED_COLOR = [
    "{pre}(set|make|turn|switch|change) the {LED} [to ]{adj} {color}{post}",
    "{pre}{verb} the {LED} {color}{post}",
    "{pre}{verb} the {LED} in {color}{post}",
    "{pre}(set|change|switch) the {LED} [pattern |mode ]to {noun} (in|with|and the colour|and color|, color) {color}{post}",
    "{WANT} the {LED} to {verb} (in |)({color})",
    "{LED}[:] {noun}, {color}",
    "{color} {adj} {LED}[ please| now]",
    "{hey}{CAN} make the {LED} {adj} {color}?",
    "{hey}{CAN} make the {LED} {verb} {color}?",
    "make the {LED} {verb} {color}",
    "{adj} {color} on the {LED}",
    "(set|configure) [the ]LED display: pattern {noun}, colour {color}",
    "(set|configure) [the ]LED display: color {color}, pattern {noun}",
    "{LED} to {color}, {noun}",
]
LED_PLAIN_SOLID = [
    "(turn|make|set) the {LED} {color}",
    "{LED} {color}[ please]",
    "(change|set) the {LED} colo(u|)r to {color}",
]
LED_RAINBOW = [
    "{pre}(set|put|switch|change|turn) the {LED} (to|on) rainbow[ mode| pattern]{post}",
    "rainbow {LED}[ please| now]",
    "{LED}[:] rainbow",
    "(make|have) the {LED} (cycle through (all the|all|the) colo(u|)rs|go rainbow|do a rainbow|show a rainbow)",
    "{hey}{CAN} (do|show|put on) [a ]rainbow (on|with) the {LED}?",
    "{WANT} [a ]rainbow (on the|for the) {LED}",
    "(set|configure) [the ]LED (display|pattern) [to ]rainbow",
    "(rainbow mode|rainbow pattern) [on the ]{LED}",
    "(light up|make) the {LED} [in |with ](all colo(u|)rs|every colo(u|)r|rainbow colo(u|)rs)",
]
COLOR_WORDS = {
    "red": ["red", "red", "Red", "RED"],
    "blue": ["blue", "blue", "Blue"],
    "green": ["green", "green", "Green"],
    "yellow": ["yellow", "yellow", "Yellow"],
    "white": ["white", "white", "White"],
}

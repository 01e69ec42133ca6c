# Every construct of the storyscore language, version 1.
title  "Everything"
author "The storyscore tests"
size   1920x1080
fps    30
seed   1234
style  "oil painting, dramatic light"
negative "text, watermark, \"blurry\""
painter diffusers "stabilityai/sd-turbo"
voice  espeak:en-us speed 1.25
soundfont "fonts/tiny.sf2"
music  key Bb major, tempo 96, mood calm, instrument piano+strings, volume 0.7, meter 3/4
transition fade 2s
character ana "a tall woman in a green coat"
character bo-2 """
    a small dog
    with a blue collar
    """

scene opening "The opening" 8s
    prompt  "@ana and @bo-2 at the harbour at dawn"
    narrate "First sentence. Second sentence."
    narrate """
        A folded
        paragraph.

        A second paragraph\twith a tab.
        """
    voice   joe speed 0.8
    camera  zoom-in 1.5
    music   key F# minor, tempo 60, mood tense, instrument horn+choir+bells, volume 0.5
    transition crossfade 2.5s

scene two 1m30s
    image   "pictures/sea.jpg"
    prompt  "the sea, seen from a cliff"
    camera  pan-left 0.3
    transition wipe-left 750ms

scene three "Three" auto
    prompt  "a castle at night"
    narrate "Three."
    camera  pan-right
    music   silent
    transition wipe-right

scene four 1m
    prompt  "a tower in the fog"
    camera  pan-up 0.5
    transition wipe-up 0s

scene five 2.5s
    prompt  "a bridge over a river"
    camera  pan-down 0
    transition wipe-down 1s

scene six 5s
    prompt  "a desert at noon"
    camera  zoom-out 2.0
    transition slide-left 1s

scene seven 5s
    prompt  "a market street"
    camera  still
    music   mood joyful
    transition slide-right 1s

scene eight 5s
    prompt  "a cave with lanterns"
    music   mood lively
    transition slide-up 1s

scene nine 5s
    prompt  "a garden in spring"
    music   mood sad
    transition slide-down 1s

scene ten 5s
    prompt  "space, stars"
    music   mood mysterious
    transition zoom 1s

scene eleven 5s
    prompt  "a lighthouse in a storm"
    music   mood triumphant
    transition fade-white 1s

scene twelve 5s
    prompt  "dunes at sunset"
    music   mood dreamy
    transition cut
    choice  "Go on" -> thirteen
    choice  "Go back" -> seven
    choice  "Stop here" -> fourteen

scene thirteen 5s
    prompt  "a village"
    next    fourteen

scene fourteen 5s
    prompt  "the end"
    voice   none
    end

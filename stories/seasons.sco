# A square story with the espeak voice, explicit keys and tempos, and every kind of transition.
title  "Four Seasons"
author "storyscore"
size   square
fps    30
seed   42
negative "text, watermark"
voice  espeak:en-gb speed 0.95
music  volume 0.8
transition slide-left 750ms

scene spring "Spring" 5s
    prompt  "a meadow of pink and yellow flowers in the morning, light rain, rainbow"
    narrate "In spring the rain brings the flowers."
    music   key F major, tempo 100, mood joyful
    transition wipe-up 1s

scene summer "Summer" 5s
    prompt  "a golden beach at noon, turquoise sea, sailing boats"
    narrate "In summer the sea is warm."
    music   key C major, tempo 120, instrument guitar+flute
    camera  pan-up 0.2
    transition zoom 1s

scene autumn "Autumn" 5s
    prompt  "an orange and crimson forest in the afternoon, falling leaves, mist"
    narrate "In autumn the leaves turn red."
    music   key A minor, tempo 90, mood sad, instrument oboe+strings
    camera  zoom-out 1.3
    transition fade-white 1s

scene winter "Winter" 6s
    prompt  "a snowy village at twilight, lanterns in the windows, snow falling"
    narrate "And in winter, we wait by the fire for spring."
    music   key D minor, tempo 72, mood calm, instrument celesta+pad
    voice   none
    transition cut

scene credits "The end" 1m
    prompt  "a starry night sky over snowy hills, silver moon"
    music   silent
    end

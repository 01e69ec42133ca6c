# The Lighthouse — a storyscore script
title  "The Lighthouse Keeper's Daughter"
author "M. Ortega"
size   720p
fps    24
seed   7
style  "storybook watercolor, soft light"
character mira "a girl of ten with a red scarf and braided hair"

scene dawn "Dawn" 8s
    prompt  "@mira walking into a tranquil pine forest at dawn, mist between the trees"
    narrate "Every morning, before the village woke, Mira walked into the forest."
    camera  zoom-in
    transition crossfade 2s

scene market
    prompt  "a bustling harbour market at noon, bright awnings, crowds"
    narrate """
        By noon the market was loud with voices and colour.
        Fishermen sang the prices of the morning's catch.
        """
    music   tempo 126, instrument strings+flute
    transition wipe-left 1s

scene storm "The storm" 6s
    prompt  "a lighthouse on black rocks at night, storm, huge waves, lightning"
    narrate "Then, one night, the light went out."
    camera  pan-right 0.15
    choice  "Climb the tower" -> tower
    choice  "Run for the village" -> village

scene tower
    prompt  "a spiral staircase inside a lighthouse, lantern light"
    narrate "Mira climbed, step after step, toward the dark lamp."
    end

scene village
    image   "pictures/village.png"
    narrate "She ran, and the whole village followed her back."
    music   key D major, mood triumphant
    end

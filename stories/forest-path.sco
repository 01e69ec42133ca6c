# A branching story: two ways through the forest, and a path that turns back.
title  "The Forest Path"
author "storyscore"
size   480p
fps    24
seed   3
style  "pastel storybook illustration"
voice  joe speed 1.05
music  instrument piano+strings
transition fade 1s
character fox "a curious orange fox"

scene edge "At the edge of the forest"
    prompt  "@fox at the edge of a pine forest in the afternoon, a meadow with flowers"
    narrate "The fox stood where the meadow met the trees."
    choice  "Follow the stream" -> stream
    choice  "Take the dark path" -> dark

scene stream "By the stream" 6s
    prompt  "a clear river winding between mossy rocks, afternoon light, birds"
    narrate "The stream chattered over the stones and led the fox downhill."
    camera  pan-left
    next    clearing

scene dark "The dark path"
    prompt  "a gloomy, mysterious forest path at dusk, fog between the trees"
    narrate "The path grew dark and quiet, and the fox began to wonder."
    music   mood mysterious, tempo 70
    choice  "Keep going" -> owl
    choice  "Turn back" -> edge

scene owl "The owl" 7s
    prompt  "an owl on a branch under the moon at night, eerie blue light"
    narrate "An owl blinked down at the fox and pointed its wing toward the light."
    transition crossfade 1.5s
    next    clearing

scene clearing "The clearing"
    prompt  "a joyful sunny clearing with flowers and butterflies, golden light"
    narrate """
        At last the fox came to a clearing full of flowers.

        It lay down in the sun, and the forest was quiet again.
        """
    music   mood joyful, key G major
    camera  zoom-in 1.2
    end

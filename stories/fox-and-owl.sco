# Two characters, each with a leitmotif: the fox's quick figure on the flute, the
# owl's slow falling minor third low in the bassoon. Each sounds in the scenes that
# name its character, and not in the others.
title  "The Fox and the Owl"
author "storyscore"
size   480p
fps    24
seed   7
style  "soft watercolour picture book"
character fox "a small, quick and curious orange fox"
character owl "a wise old owl with big round eyes"

scene meadow "The meadow" 7s
    prompt  "@fox running through a sunny meadow full of flowers"
    narrate "A small fox ran through the meadow, chasing butterflies."

scene wood "Into the wood" 8s
    prompt  "a quiet beech wood in the late afternoon, long shadows, no animals"
    narrate "The trees grew taller, and the light turned gold."

scene oak "The old oak"
    prompt  "@owl sitting on a branch of an old oak tree at dusk"
    narrate "High in an old oak, an owl opened one round eye."

scene meeting "The meeting" 9s
    prompt  "@fox looking up at @owl on a low branch, twilight, fireflies"
    narrate "The fox looked up. The owl looked down. Hoo, said the owl."
    transition cut

scene stars "Under the stars" 8s
    prompt  "a night sky full of stars over a dark hill, a crescent moon"
    narrate "They watched the stars come out together, one by one."

scene home "Home" 7s
    prompt  "@fox curled up asleep in a cosy den under the roots"
    narrate "And the fox went home to sleep, dreaming of round yellow eyes."
    end

# {title} — a storyscore script.
# Check it with:   storyscore check {filename}
# The language is described in docs/language.md.
title  "{title}"
size   720p
fps    24
seed   1
style  "storybook watercolor, soft light"

scene opening "Once upon a time" 7s
    prompt  "a tranquil meadow at dawn, mist over the hills, golden light"
    narrate "Once upon a time, at the edge of a quiet meadow, a story began."
    camera  zoom-in
    transition crossfade 1s

scene journey
    prompt  "a winding river through a pine forest at noon, birds in a clear blue sky"
    narrate """
        The path followed the river into the forest,
        where the birds sang all afternoon.
        """
    camera  pan-right

scene evening "The way home" 6s
    prompt  "a village with warm lantern light at dusk, stars appearing"
    narrate "And when the stars came out, everyone found their way home."
    music   mood calm
    end

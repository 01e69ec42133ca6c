# The demo the README renders: a short story that shows the main features.
title  "The Paper Boat"
author "storyscore"
size   720p
fps    24
seed   11
style  "storybook watercolor, soft light"
character boat "a small paper boat with a red sail"

scene harbour "The harbour" 6s
    prompt  "@boat floating in a tranquil harbour at sunrise, golden light, gulls"
    narrate "At sunrise, a paper boat slipped into the harbour."
    camera  zoom-in 1.1
    transition crossfade 1s

scene river
    prompt  "@boat sailing down a river through green meadows at noon, clear sky"
    narrate """
        The current carried it past the meadows,
        where the cows looked up to watch it go.
        """
    camera  pan-right 0.12
    music   mood lively

scene night "Out to sea" 7s
    prompt  "@boat on a calm sea at night under a full moon and stars, silver waves"
    narrate "By nightfall it had reached the open sea, and the moon kept it company."
    camera  zoom-out
    music   mood dreamy, instrument harp+strings
    end

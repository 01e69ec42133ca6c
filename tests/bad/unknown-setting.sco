titel "A story"

scene a
    prompt "a forest"

scene a
    prompt "a forest"
    music key F#

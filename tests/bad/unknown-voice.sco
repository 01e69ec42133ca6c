voice jo

scene a
    prompt "a forest"

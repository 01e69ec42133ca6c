scene a
    prompt "a forest"
    transition crossfad 1s

scene b
    prompt "a lake"

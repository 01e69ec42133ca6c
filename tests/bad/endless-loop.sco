scene a
    prompt "a forest"

scene b
    prompt "a lake"
    next a

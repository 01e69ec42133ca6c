scene a
    prompt "a forest"
    transition cut 1s

scene b
    prompt "a lake"

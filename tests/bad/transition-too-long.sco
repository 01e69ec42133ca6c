scene a 3s
    prompt "a forest"
    transition crossfade 4s

scene b
    prompt "a lake"

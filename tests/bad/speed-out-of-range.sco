voice joe speed 3

scene a
    prompt "a forest"

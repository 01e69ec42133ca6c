title "Meter in a scene"

scene a
    prompt "a forest"
    music  meter 3/4

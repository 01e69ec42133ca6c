fps 120

scene a
    prompt "a forest"

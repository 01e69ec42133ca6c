scene a
    prompt "a forest"
    next towr

scene tower
    prompt "a tower"

size 32x32

scene a
    prompt "a forest"

size 1281x720

scene a
    prompt "a forest"

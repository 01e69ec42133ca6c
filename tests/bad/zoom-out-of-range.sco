scene a
    prompt "a forest"
    camera zoom-in 2.5

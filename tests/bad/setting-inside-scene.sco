scene a
    prompt "a forest"
    fps 30

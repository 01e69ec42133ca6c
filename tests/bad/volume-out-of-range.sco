scene a
    prompt "a forest"
    music volume 1.5

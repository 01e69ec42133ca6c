scene a
    prompt "a forest"
    music key H major

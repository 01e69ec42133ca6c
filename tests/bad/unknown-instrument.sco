scene a
    prompt "a forest"
    music instrument harp+vilin

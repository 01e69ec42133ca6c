scene a
    prompt "a forest"
    camera pan-left 0.8

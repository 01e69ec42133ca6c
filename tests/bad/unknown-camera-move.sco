scene a
    prompt "a forest"
    camera zoom-inn

painter procedual

scene a
    prompt "a forest"

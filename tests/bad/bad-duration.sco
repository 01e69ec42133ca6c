scene a 5min
    prompt "a forest"

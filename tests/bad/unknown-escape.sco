scene a
    prompt "a forest\q"

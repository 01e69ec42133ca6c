scene a
    prompt "a forest
    narrate "Hello."

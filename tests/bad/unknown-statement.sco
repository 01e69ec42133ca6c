scene a
    promt "a forest"

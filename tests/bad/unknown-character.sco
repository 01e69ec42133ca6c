character mira "a girl with a red scarf"

scene a
    prompt "@mria in a forest"

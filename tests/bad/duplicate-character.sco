character mira "a girl"
character mira "a woman"

scene a
    prompt "@mira"

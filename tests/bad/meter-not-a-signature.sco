title "A meter without a value"
music  meter three

scene a
    prompt "a forest"

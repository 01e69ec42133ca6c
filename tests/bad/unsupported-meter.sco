title "An odd meter"
music  meter 5/4

scene a
    prompt "a forest"

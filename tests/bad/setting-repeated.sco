title "One"
title "Two"

scene a
    prompt "a forest"

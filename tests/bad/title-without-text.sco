# An empty title would leave the book's cover blank.
title "  "
scene a "" 2s
    prompt "a road"

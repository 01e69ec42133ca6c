# A size with a capital X is not a number: say how to write it.
size 1280X720
scene a
    prompt "x"

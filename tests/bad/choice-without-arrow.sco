scene a
    prompt "a forest"
    choice "Go" b

scene b
    prompt "a lake"

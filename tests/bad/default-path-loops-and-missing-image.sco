scene a
    image "missing.png"

scene b
    prompt "a lake"
    choice "Again" -> a
    choice "Stop" -> c

scene c
    prompt "the end"

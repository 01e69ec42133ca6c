size 720i

scene a
    prompt "a forest"

painter diffusers

scene a
    prompt "a forest"

    title "Indented"

scene a
    prompt "a forest"

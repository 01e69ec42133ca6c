title "Broken"

scene a
    prompt "unterminated
    narrate "fine"
	camera zoom-in
    next b

scene b 2
    prompt "a lake" extra
    transition wipe-sideways

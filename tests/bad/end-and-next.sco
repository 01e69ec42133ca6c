scene a
    prompt "a forest"
    next b
    end

scene b
    prompt "a lake"

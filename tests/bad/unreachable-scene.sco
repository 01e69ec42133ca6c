scene a
    prompt "a forest"
    end

scene b
    prompt "a lake"

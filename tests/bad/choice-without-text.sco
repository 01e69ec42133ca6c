# A choice with no text would be a blank button in the book.
scene a
    prompt "a fork in the road"
    choice "  " -> b
    choice "Stay" -> b
scene b
    prompt "a road"

scene a
    image "pictures/missing.png"

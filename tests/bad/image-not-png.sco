scene a
    image "../data/pictures/not-an-image.png"

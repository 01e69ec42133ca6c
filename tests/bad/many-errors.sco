titel "Many"
size 1280x721
fps 0
voice espeek

scene start "Start" 4s
    promt "a forest"
    camera pan-rigth
    transition crossfade 9s
    choice "Left" -> lefft
    choice "Right" -> right

scene right
    prompt "@nobody on a road"
    music tempo 10, mood sadd
    end

scene lost
    image "nowhere.png"
    end

// The U-Net trainer lands here (issue 5).
